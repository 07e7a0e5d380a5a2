"""hozen (保全): a national security clearance platform."""

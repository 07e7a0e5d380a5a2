"""Sharing hub: clearance-holder communities, events and threat intelligence."""

"""International reciprocity: information security agreements (情報保護協定), their
level-equivalence tables, foreign clearance assurances, visits and partner labels."""

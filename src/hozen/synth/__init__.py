"""Synthetic data at national scale (issue 10): `hozen generate` builds a realistic,
fictional data set — organisations with ownership chains, facility certifications,
programmes, designations and items, people with cases, clearances and visits — from a
seed, the same seed giving the same data. Entry point: hozen.synth.run.generate."""

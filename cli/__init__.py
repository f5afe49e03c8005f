"""The staff command `campaign` (branch staff and HQ): drills, forms and HQ's work, in one click group."""

"""The Textual-free domain core: validators, masking, working days, the bundle
catalog, form merging, prefill, materials, cases and queue policy.

Nothing in this package may import Textual or do network I/O; a test checks it.
"""

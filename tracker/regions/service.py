"""Placeholder until the regions service lands."""
def fill_regions(data):
    return data

"""Pure insurance rules: stdlib and dateutil only, no I/O, no clock reads.

Every function takes the dates it needs (`today`, `request_date`) as parameters.
"""

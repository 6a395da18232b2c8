"""Gateways to systems outside this machine (the card network, the e-signature provider).

Each is an interface with a sandbox implementation that behaves like the real one.
"""

"""Exports and codebooks (pandas): the only package that imports pandas."""

"""Marketplace intelligence: demand, pricing and supply-gap analytics."""

"""Cluster Forum: discussions and a market-intelligence repository for cluster managers."""

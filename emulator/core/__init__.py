"""What every provider shares: storage, tenancy, the clock, rendering and request parsing."""

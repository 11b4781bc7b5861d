"""A stand-in for the `pulumi` CLI that really runs inline programs over gRPC (tests only; see README.md)."""

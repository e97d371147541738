"""Operating the product: health check, database routing, structured logs."""

"""The HTTP face of opsloop: FastAPI routers that parse input, call the domain and format output."""

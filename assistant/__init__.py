"""Food-safety assistant: the knowledge base and cited question answering."""

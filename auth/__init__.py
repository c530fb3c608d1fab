"""Access control: who is asking (principal), what their role may do (roles), and the request gate."""

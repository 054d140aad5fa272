"""ggen-ai: the AI tools (ontologies, SPARQL, templates, projects, review loops) driven by the client's model
through MCP sampling, or an operator-configured server-side model, and checked by the real validators."""

"""Operations: Prometheus metrics and structured JSON logs (issue 9, item 8)."""

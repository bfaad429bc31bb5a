package main

import "io"

// Temporary: replaced by decode.go and serve.go.
func runDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) int { return 2 }
func runServe(args []string) int                                          { return 2 }

package main

import (
	"context"
)

func runSetup(ctx context.Context, env *Env, args []string) error {
	return usagef("setup is not available yet")
}

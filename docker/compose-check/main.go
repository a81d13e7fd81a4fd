// Loads docker-compose.yml with compose-go, the library Docker Compose itself loads files with:
// interpolation from an env file (a missing required variable fails), YAML anchors and merge
// keys, `$$` escapes, the specification's schema and compose's own checks. Prints the project
// as compose would run it, as JSON. No Docker engine is needed (there is none in CI):
//
//	go -C docker/compose-check run . COMPOSE_FILE ENV_FILE
//
// tests/integration/test_compose_loader.py runs it.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: compose-check COMPOSE_FILE ENV_FILE")
		os.Exit(2)
	}
	file, envFile := os.Args[1], os.Args[2]
	out, err := load(file, envFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

func load(file, envFile string) ([]byte, error) {
	options, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(filepath.Dir(file)),
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
	)
	if err != nil {
		return nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	return project.MarshalJSON()
}

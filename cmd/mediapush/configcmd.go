package main

import (
	"io"
	"os"
)

// printConfig writes the configuration in effect, from the file, the environment and args
// (any flag of serve or worker), as YAML with every secret that is set shown as "***".
func printConfig(args []string, out io.Writer) error {
	settings, err := loadConfig("", args)
	if err != nil {
		return err
	}
	text, err := settings.YAML()
	if err != nil {
		return err
	}
	_, err = out.Write(text)
	return err
}

func configCommand(args []string) error { return printConfig(args, os.Stdout) }

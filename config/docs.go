package config

import (
	_ "embed"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Documented is mediapush.yml: every setting with its default and a comment saying what it
// means. It is a valid configuration file, equal to Defaults().
//
//go:embed mediapush.yml
var Documented []byte

var (
	docsOnce sync.Once
	docs     map[string]string
)

// documentation is each setting's comment in mediapush.yml, by key, on one line.
func documentation() map[string]string {
	docsOnce.Do(func() {
		docs = map[string]string{}
		var root yaml.Node
		if err := yaml.Unmarshal(Documented, &root); err != nil || len(root.Content) == 0 {
			return
		}
		collectComments(root.Content[0], "", docs)
	})
	return docs
}

func collectComments(n *yaml.Node, prefix string, into map[string]string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + key
		}
		if v.Kind == yaml.MappingNode {
			collectComments(v, key, into)
			continue
		}
		into[key] = commentText(k.HeadComment)
	}
}

// commentText joins a YAML comment's lines into one sentence.
func commentText(c string) string {
	var lines []string
	for _, line := range strings.Split(c, "\n") {
		if line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#")); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, " ")
}

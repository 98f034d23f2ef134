package config

import (
	"bytes"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Hidden stands for a secret that is set, wherever the configuration is shown.
const Hidden = "***"

// YAML is the configuration as a file would hold it, every setting in the order of
// mediapush.yml, secrets shown as "***" when set. It reads back as the same configuration
// but for the secrets.
func (c Config) YAML() ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	sections := map[string]*yaml.Node{}
	for _, s := range Settings() {
		parent := root
		path := strings.Split(s.Key, ".")
		for i := range path[:len(path)-1] {
			prefix := strings.Join(path[:i+1], ".")
			n := sections[prefix]
			if n == nil {
				n = &yaml.Node{Kind: yaml.MappingNode}
				sections[prefix] = n
				parent.Content = append(parent.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: path[i]}, n)
			}
			parent = n
		}
		value, err := valueNode(s, s.value(&c))
		if err != nil {
			return nil, err
		}
		parent.Content = append(parent.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: path[len(path)-1]}, value)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// valueNode is a setting's value as YAML: a list in flow style, a secret hidden.
func valueNode(s *Setting, v reflect.Value) (*yaml.Node, error) {
	n := &yaml.Node{}
	if s.Secret {
		shown := ""
		if v.String() != "" {
			shown = Hidden
		}
		return n, n.Encode(shown)
	}
	if a, ok := v.Interface().(interface{ plain() any }); ok {
		return n, n.Encode(a.plain())
	}
	switch {
	case v.Kind() == reflect.Slice:
		if err := n.Encode(v.Interface()); err != nil {
			return nil, err
		}
		n.Style = yaml.FlowStyle
		return n, nil
	case v.Kind() == reflect.String, v.Type() == durationType, v.Type() == reflect.TypeFor[ByteSize]():
		return n, n.Encode(text(v))
	}
	return n, n.Encode(v.Interface())
}

// chart-render renders a Helm chart the way `helm template` does, for machines without
// helm (it is not packaged by Debian). It is built from Debian's Go packages alone, in
// GOPATH mode, with no downloads:
//
//	apt-get install golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o chart-render ./tools/chart-render
//
// It uses the pieces of helm's own rendering: Go's text/template with sprig v3's function
// library (Debian ships it at sprig's GOPATH path; less env and expandenv, as helm), helm's
// own additions (include, tpl, required,
// lookup, toYaml, fromYaml, fromYamlArray, toJson, fromJson, fromJsonArray), ghodss/yaml
// (from which sigs.k8s.io/yaml, helm's YAML library, was forked) for values and toYaml,
// missingkey=zero with "<no value>" removed, partials (`_*`) parsed but not rendered,
// templates parsed in helm's order, and the objects .Values, .Release, .Chart,
// .Capabilities, .Template and .Files. Values are coalesced as helm does: the chart's
// values.yaml, overlaid by each -f file in turn (maps merge deeply, other values replace,
// null deletes a key). `lookup` finds nothing, as in `helm template`. The chart's
// kubeVersion constraint is checked against --kube-version.
//
// What it does not do, because Wharf's chart does not need it: subcharts (dependencies),
// values.schema.json, --set, .helmignore, toToml, and the Files helpers other than Get,
// GetBytes and Lines. A chart that uses them fails to render here rather than rendering
// differently.
//
// Output (stdout): JSON {"manifests":[{"source","yaml","object"}],"notes"} where each
// manifest is one YAML document of a rendered template and "object" is that document
// decoded the way Kubernetes decodes YAML (YAML 1.1 via ghodss/yaml, duplicate keys are
// errors); or, with --output yaml, the documents as `helm template` prints them.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
)

// chartMetadata is Chart.yaml, with the field names templates see as .Chart.*.
type chartMetadata struct {
	Name         string            `json:"name,omitempty"`
	Home         string            `json:"home,omitempty"`
	Sources      []string          `json:"sources,omitempty"`
	Version      string            `json:"version,omitempty"`
	Description  string            `json:"description,omitempty"`
	Keywords     []string          `json:"keywords,omitempty"`
	Maintainers  []interface{}     `json:"maintainers,omitempty"`
	Icon         string            `json:"icon,omitempty"`
	APIVersion   string            `json:"apiVersion,omitempty"`
	Condition    string            `json:"condition,omitempty"`
	Tags         string            `json:"tags,omitempty"`
	AppVersion   string            `json:"appVersion,omitempty"`
	Deprecated   bool              `json:"deprecated,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	KubeVersion  string            `json:"kubeVersion,omitempty"`
	Dependencies []interface{}     `json:"dependencies,omitempty"`
	Type         string            `json:"type,omitempty"`
}

// versionSet is .Capabilities.APIVersions.
type versionSet []string

// Has tells whether an API version (group/version, or group/version/Kind) is available.
func (v versionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type kubeVersion struct {
	Version    string
	Major      string
	Minor      string
	GitVersion string
}

func (k kubeVersion) String() string { return k.Version }

type helmVersion struct {
	Version      string
	GitCommit    string
	GitTreeState string
	GoVersion    string
}

type capabilities struct {
	APIVersions versionSet
	KubeVersion kubeVersion
	HelmVersion helmVersion
}

// files is .Files: the chart's files outside templates/.
type files map[string][]byte

func (f files) GetBytes(name string) []byte { return f[name] }
func (f files) Get(name string) string      { return string(f[name]) }
func (f files) Lines(name string) []string {
	if f[name] == nil {
		return []string{}
	}
	return strings.Split(strings.TrimRight(string(f[name]), "\n"), "\n")
}

// The API versions a current cluster serves (what helm's default capabilities list).
var defaultAPIVersions = versionSet{
	"v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "apiregistration.k8s.io/v1",
	"apps/v1", "authentication.k8s.io/v1", "authorization.k8s.io/v1", "autoscaling/v1", "autoscaling/v2",
	"batch/v1", "certificates.k8s.io/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1",
	"flowcontrol.apiserver.k8s.io/v1", "networking.k8s.io/v1", "node.k8s.io/v1", "policy/v1",
	"rbac.authorization.k8s.io/v1", "scheduling.k8s.io/v1", "storage.k8s.io/v1",
}

type chart struct {
	dir       string
	metadata  chartMetadata
	values    map[string]interface{}
	templates map[string]string // "<chart>/templates/<path>" → text
	files     files
}

func loadChart(dir string) (*chart, error) {
	c := &chart{dir: dir, templates: map[string]string{}, files: files{}}
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("Chart.yaml file is missing: %w", err)
	}
	if err := yaml.UnmarshalStrict(raw, &c.metadata); err != nil {
		return nil, fmt.Errorf("cannot load Chart.yaml: %w", err)
	}
	m := c.metadata
	switch {
	case m.APIVersion != "v2":
		return nil, fmt.Errorf("validation: chart.metadata.apiVersion must be v2, not %q", m.APIVersion)
	case m.Name == "":
		return nil, errors.New("validation: chart.metadata.name is required")
	case m.Version == "":
		return nil, errors.New("validation: chart.metadata.version is required")
	case m.Type != "" && m.Type != "application":
		return nil, fmt.Errorf("chart type %q is not supported here", m.Type)
	case len(m.Dependencies) > 0:
		return nil, errors.New("charts with dependencies are not supported here")
	}
	if _, err := semver.StrictNewVersion(m.Version); err != nil {
		return nil, fmt.Errorf("validation: chart.metadata.version %q is invalid", m.Version)
	}
	c.values = map[string]interface{}{}
	if raw, err := os.ReadFile(filepath.Join(dir, "values.yaml")); err == nil {
		if err := yaml.Unmarshal(raw, &c.values); err != nil {
			return nil, fmt.Errorf("cannot load values.yaml: %w", err)
		}
		if c.values == nil {
			c.values = map[string]interface{}{}
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(rel, "templates/"):
			c.templates[path.Join(m.Name, rel)] = string(data)
		case rel == "Chart.yaml" || rel == "values.yaml" || rel == "values.schema.json" || strings.HasPrefix(rel, "charts/"):
		default:
			c.files[rel] = data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "values.schema.json")); err == nil {
		return nil, errors.New("values.schema.json is not supported here")
	}
	return c, nil
}

// coalesce overlays src on dst as helm coalesces values: maps merge key by key, any other
// value replaces, and null removes the key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if v == nil {
			delete(out, k)
			continue
		}
		srcMap, srcIsMap := v.(map[string]interface{})
		dstMap, dstIsMap := out[k].(map[string]interface{})
		if srcIsMap && dstIsMap {
			out[k] = coalesce(dstMap, srcMap)
		} else {
			out[k] = v
		}
	}
	return out
}

func readValuesFile(name string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	values := map[string]interface{}{}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", name, err)
	}
	if values == nil {
		values = map[string]interface{}{}
	}
	return values, nil
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	a := []interface{}{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

const (
	warnStart     = "HELM_ERR_START"
	warnEnd       = "HELM_ERR_END"
	maxIncludeRec = 1000
)

var warnPattern = regexp.MustCompile(warnStart + `(.*)` + warnEnd)

type renderer struct {
	chart     *chart
	templates map[string]string
}

// parseOrder is helm's: deeper paths first, then by name.
func parseOrder(names map[string]string) []string {
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca != cb {
			return ca > cb
		}
		return a > b
	})
	return keys
}

// newTemplateSet parses every template of the chart (plus extra ones) into one set whose
// include and tpl functions are bound to it.
func (r *renderer) newTemplateSet(extra map[string]string) (*template.Template, error) {
	t := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	included := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if included[name] > maxIncludeRec {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		included[name]++
		defer func() { included[name]-- }()
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, vals interface{}) (string, error) {
		top, ok := vals.(map[string]interface{})
		if !ok {
			return "", errors.New("tpl needs the top-level context (.) or one like it")
		}
		tmpl, _ := top["Template"].(map[string]interface{})
		name, _ := tmpl["Name"].(string)
		if name == "" {
			return "", errors.New("cannot retrieve Template.Name from values inside tpl function")
		}
		set, err := r.newTemplateSet(map[string]string{name: text})
		if err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		var buf strings.Builder
		if err := set.ExecuteTemplate(&buf, name, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warnStart + warn + warnEnd)
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warnStart + warn + warnEnd)
		}
		return val, nil
	}
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	funcs["toYaml"] = toYAML
	funcs["toYamlPretty"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["fromYamlArray"] = fromYAMLArray
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["fromJsonArray"] = fromJSONArray
	t.Funcs(funcs)

	all := map[string]string{}
	for k, v := range r.templates {
		all[k] = v
	}
	for k, v := range extra {
		all[k] = v
	}
	for _, name := range parseOrder(all) {
		if _, err := t.New(name).Parse(all[name]); err != nil {
			return nil, cleanParseError(name, err)
		}
	}
	return t, nil
}

func cleanParseError(name string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %s", name, err)
	}
	return fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])
}

func cleanExecError(name string, err error) error {
	var execErr template.ExecError
	if !errors.As(err, &execErr) {
		return fmt.Errorf("execution error in (%s): %s", name, err)
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %s", name, err)
	}
	if parts := warnPattern.FindStringSubmatch(tokens[2]); len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", tokens[1], parts[1])
	}
	return err
}

type manifest struct {
	Source string      `json:"source"`
	YAML   string      `json:"yaml"`
	Object interface{} `json:"object"`
}

type result struct {
	Manifests []manifest `json:"manifests"`
	Notes     string     `json:"notes"`
}

var separator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

func main() {
	var valueFiles []string
	flag.Func("f", "a values file (may be repeated; later files win)", func(v string) error {
		valueFiles = append(valueFiles, v)
		return nil
	})
	releaseName := flag.String("name", "release-name", "the release name")
	namespace := flag.String("namespace", "default", "the release namespace")
	kubeVersionFlag := flag.String("kube-version", "v1.31.0", "the Kubernetes version of .Capabilities")
	output := flag.String("output", "json", "json or yaml")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: chart-render [-f values.yaml]... [-name NAME] [-namespace NS] [-kube-version V] [-output json|yaml] CHART_DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	res, err := render(flag.Arg(0), valueFiles, *releaseName, *namespace, *kubeVersionFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s\n", err)
		os.Exit(1)
	}
	if *output == "yaml" {
		for _, m := range res.Manifests {
			fmt.Printf("---\n# Source: %s\n%s\n", m.Source, m.YAML)
		}
		return
	}
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s\n", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

func render(dir string, valueFiles []string, releaseName, namespace, kubeVersionText string) (*result, error) {
	c, err := loadChart(dir)
	if err != nil {
		return nil, err
	}
	kv, err := semver.NewVersion(kubeVersionText)
	if err != nil {
		return nil, fmt.Errorf("invalid kube version %q: %w", kubeVersionText, err)
	}
	if c.metadata.KubeVersion != "" {
		constraint, err := semver.NewConstraint(c.metadata.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("invalid kubeVersion %q in Chart.yaml: %w", c.metadata.KubeVersion, err)
		}
		if !constraint.Check(kv) {
			return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes v%s", c.metadata.KubeVersion, kv)
		}
	}

	user := map[string]interface{}{}
	for _, name := range valueFiles {
		values, err := readValuesFile(name)
		if err != nil {
			return nil, err
		}
		user = coalesce(user, values)
	}
	values := coalesce(c.values, user)

	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": releaseName, "Namespace": namespace, "IsInstall": true, "IsUpgrade": false,
			"Revision": 1, "Service": "Helm",
		},
		"Chart": c.metadata,
		"Capabilities": capabilities{
			APIVersions: defaultAPIVersions,
			KubeVersion: kubeVersion{
				Version: "v" + kv.String(), Major: fmt.Sprint(kv.Major()), Minor: fmt.Sprint(kv.Minor()), GitVersion: "v" + kv.String(),
			},
			HelmVersion: helmVersion{Version: "v3", GoVersion: "chart-render"},
		},
		"Files": c.files,
	}

	r := &renderer{chart: c, templates: c.templates}
	set, err := r.newTemplateSet(nil)
	if err != nil {
		return nil, err
	}
	res := &result{Manifests: []manifest{}}
	names := make([]string, 0, len(c.templates))
	for name := range c.templates {
		names = append(names, name)
	}
	sort.Strings(names)
	notesName := path.Join(c.metadata.Name, "templates", "NOTES.txt")
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		top["Template"] = map[string]interface{}{"Name": name, "BasePath": path.Join(c.metadata.Name, "templates")}
		var buf bytes.Buffer
		if err := set.ExecuteTemplate(&buf, name, top); err != nil {
			return nil, cleanExecError(name, err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if name == notesName {
			res.Notes = text
			continue
		}
		if strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		for _, doc := range separator.Split(text, -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			jsonDoc, err := yaml.YAMLToJSONStrict([]byte(doc))
			if err != nil {
				return nil, fmt.Errorf("YAML parse error on %s: %w", name, err)
			}
			var object interface{}
			if err := json.Unmarshal(jsonDoc, &object); err != nil {
				return nil, fmt.Errorf("YAML parse error on %s: %w", name, err)
			}
			if object == nil {
				continue // a document of comments only
			}
			res.Manifests = append(res.Manifests, manifest{Source: name, YAML: strings.TrimSpace(doc), Object: object})
		}
	}
	return res, nil
}

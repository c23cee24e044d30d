package lambdabuild

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The target platform and tags of every build (see goBuild and env).
const (
	targetOS   = "linux"
	targetArch = "arm64"
	targetTags = "lambda.norpc"
)

// keyVars returns the go env variables hashed into the key: the toolchain
// and the settings that change what it compiles.
func keyVars() []string {
	return []string{"GOVERSION", "GOFLAGS", "GOEXPERIMENT", "GOARM64"}
}

// key computes the cache key and checks that pkg is a main package.
//
// The key is a SHA-256 over the go env values of keyVars, the recipe, the
// package path, go.mod, go.sum, the function's default.pgo and every source
// file (path and content, sorted) of every package of the module the
// function imports. Third-party modules and the standard library are not
// read: go.sum and GOVERSION pin them.
//
// The packages are found by reading import declarations (scanSources), which
// costs a few milliseconds; `go list -deps` (about 250 ms, as it loads the
// whole module graph) runs only when the layout cannot be decided that way
// (see needGoListError).
func (b *builder) key() (string, error) {
	vars := keyVars()
	env := b.toolEnv
	if env == nil {
		var err error
		if env, err = b.toolchain(); err != nil {
			return "", err
		}
	}
	files, err := b.scanSources(env["GOVERSION"], env["GOFLAGS"])
	var need *needGoListError
	if errors.As(err, &need) {
		files, err = b.listSources()
	}
	if err != nil {
		return "", err
	}
	pgo := path.Join(strings.TrimPrefix(b.pkg, "./"), "default.pgo")
	if info, err := os.Stat(filepath.Join(b.root, filepath.FromSlash(pgo))); err == nil && info.Mode().IsRegular() && !slices.Contains(files, pgo) {
		// go build -pgo=auto (the default) optimises with it.
		files = append(files, pgo)
	}
	slices.Sort(files)

	h := sha256.New()
	write := func(label, value string) {
		fmt.Fprintf(h, "%s %d\n%s\n", label, len(value), value)
	}
	for _, name := range vars {
		write(name, env[name])
	}
	write("recipe", recipe)
	write("package", b.pkg)
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(b.root, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("lambda %s: read %s: %w", b.pkg, name, err)
		}
		write(name, string(data))
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(b.root, filepath.FromSlash(f)))
		if err != nil {
			return "", fmt.Errorf("lambda %s: read source %s: %w", b.pkg, f, err)
		}
		write("file "+f, string(data))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// toolchain asks the go command for the values of keyVars.
func (b *builder) toolchain() (map[string]string, error) {
	vars := keyVars()
	out, err := b.goCmd(append([]string{"env"}, vars...)...)
	if err != nil {
		return nil, err
	}
	values := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(values) != len(vars) {
		return nil, fmt.Errorf("lambda %s: go env printed %d values for %d variables", b.pkg, len(values), len(vars))
	}
	env := make(map[string]string, len(vars))
	for i, name := range vars {
		env[name] = values[i]
	}
	return env, nil
}

// needGoListError reports a layout that reading import declarations cannot
// decide; the key then takes its file list from `go list -deps`.
type needGoListError struct {
	reason string
}

func (e *needGoListError) Error() string { return "needs go list: " + e.reason }

func needGoList(format string, args ...any) error {
	return &needGoListError{reason: fmt.Sprintf(format, args...)}
}

// harmlessGOFLAG reports whether a flag in GOFLAGS leaves the files a build
// reads unchanged (the compiler flags among them are in the key through
// GOFLAGS; -tags and -ldflags are overridden by the command line of goBuild).
func harmlessGOFLAG(name string) bool {
	switch name {
	case "a", "asmflags", "buildvcs", "gcflags", "ldflags", "mod", "p", "tags", "trimpath", "v", "x":
		return true
	}
	return false
}

// scanSources returns the source files (slash paths relative to the module
// root, sorted) of the function package and of every package of the module
// it imports, directly or not, for the target platform and tags. Build
// constraints are evaluated with go/build, which reads only the header of
// each file (package clause, imports, directives).
//
// Every non-test source file of such a package directory is returned, also
// the ones the build constraints exclude: a superset of what the build
// reads, so the key never misses a change.
//
// It returns *needGoListError, and the caller asks go list, when:
//   - GOFLAGS holds a flag that may change the files read (-modfile, -overlay, ...);
//   - GOVERSION is not a release (go1.N...), so the goN.M tags are unknown;
//   - go.mod has no module line this code can read;
//   - go.sum names this module (a dependency may import it back);
//   - a build constraint uses a tag set by the toolchain (goexperiment.*,
//     boringcrypto, arm64.v8.N, ...), whose value go/build cannot know;
//   - a package embeds files (//go:embed patterns can reach subdirectories);
//   - an imported path of the module lies in a nested module (its own go.mod);
//   - a package has a relative import, or go/build fails on it (missing
//     directory, no Go files, mixed package names, syntax error): go list
//     then reports the error as the go command sees it.
//
// Files importing "C" are not a reason: CGO_ENABLED=0 excludes them, in
// go/build as in the go command.
func (b *builder) scanSources(goVersion, goFlags string) ([]string, error) {
	for _, f := range strings.Fields(goFlags) {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if !harmlessGOFLAG(name) {
			return nil, needGoList("GOFLAGS sets -%s", name)
		}
	}
	releaseTags, err := releaseTagsOf(goVersion)
	if err != nil {
		return nil, err
	}
	modPath, err := modulePath(filepath.Join(b.root, "go.mod"))
	if err != nil {
		return nil, err
	}
	if imported, err := sumNames(filepath.Join(b.root, "go.sum"), modPath); err != nil {
		return nil, fmt.Errorf("lambda %s: %w", b.pkg, err)
	} else if imported {
		return nil, needGoList("go.sum names the module %s", modPath)
	}

	ctxt := build.Context{
		GOOS:        targetOS,
		GOARCH:      targetArch,
		CgoEnabled:  false,
		Compiler:    "gc",
		BuildTags:   []string{targetTags},
		ReleaseTags: releaseTags,
	}
	rel := strings.TrimPrefix(b.pkg, "./")
	start := modPath
	if rel != "" {
		start = modPath + "/" + rel
	}
	seen := map[string]bool{start: true}
	queue := []string{start}
	var files []string
	for len(queue) > 0 {
		importPath := queue[0]
		queue = queue[1:]
		dirRel := strings.TrimPrefix(strings.TrimPrefix(importPath, modPath), "/")
		if err := b.checkNotNested(dirRel); err != nil {
			return nil, err
		}
		dir := filepath.Join(b.root, filepath.FromSlash(dirRel))
		p, err := ctxt.ImportDir(dir, 0)
		if err != nil {
			return nil, needGoList("package %s: %v", importPath, err)
		}
		for _, tag := range p.AllTags {
			if !decidable(tag) {
				return nil, needGoList("package %s: build constraint on %q", importPath, tag)
			}
		}
		if len(p.EmbedPatterns) > 0 {
			return nil, needGoList("package %s embeds files", importPath)
		}
		if importPath == start && p.Name != "main" {
			return nil, fmt.Errorf("lambda %s: not a main package (package %q); a Lambda needs func main", b.pkg, p.Name)
		}
		for _, imp := range p.Imports {
			switch {
			case build.IsLocalImport(imp):
				return nil, needGoList("package %s: relative import %q", importPath, imp)
			case imp == modPath || strings.HasPrefix(imp, modPath+"/"):
				if !seen[imp] {
					seen[imp] = true
					queue = append(queue, imp)
				}
			}
		}
		dirFiles, err := sourceFiles(dir)
		if err != nil {
			return nil, fmt.Errorf("lambda %s: package %s: %w", b.pkg, importPath, err)
		}
		for _, name := range dirFiles {
			files = append(files, path.Join(dirRel, name))
		}
	}
	slices.Sort(files)
	return files, nil
}

// checkNotNested fails with *needGoListError when a directory between the
// module root (excluded) and dirRel (included) holds a go.mod: the import
// path then belongs to another module, which go.mod resolves.
func (b *builder) checkNotNested(dirRel string) error {
	for d := dirRel; d != "" && d != "."; d = path.Dir(d) {
		_, err := os.Stat(filepath.Join(b.root, filepath.FromSlash(d), "go.mod"))
		switch {
		case err == nil:
			return needGoList("%s is in a nested module", dirRel)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("lambda %s: %w", b.pkg, err)
		}
	}
	return nil
}

// sourceExt reports whether the go command may compile, assemble or link a
// file with this extension in a package (Go, assembly, cgo sources and
// headers, SWIG, syso objects).
func sourceExt(ext string) bool {
	switch ext {
	case ".go", ".s", ".S", ".sx", ".h", ".hh", ".hpp", ".hxx",
		".c", ".cc", ".cpp", ".cxx", ".m", ".f", ".F", ".for", ".f90",
		".swig", ".swigcxx", ".syso":
		return true
	}
	return false
}

// sourceFiles lists the names of the source files of a package directory,
// tests excluded, build constraints ignored. Like the go command it skips
// names starting with "." or "_".
func sourceFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
			strings.HasSuffix(name, "_test.go") || !sourceExt(filepath.Ext(name)) {
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 {
			info, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", name, err)
			}
			if !info.Mode().IsRegular() {
				continue
			}
		} else if !e.Type().IsRegular() {
			continue
		}
		names = append(names, name)
	}
	return names, nil
}

// decidable reports whether go/build, configured by scanSources, gives a
// build tag the value the go command gives it. The toolchain sets tags with
// a dot (goexperiment.X, arm64.v8.N) and the old name boringcrypto
// according to its own configuration; other unknown tags are false for
// both.
func decidable(tag string) bool {
	if tag == targetTags {
		return true
	}
	if _, ok := releaseMinor(tag); ok {
		return true
	}
	return tag != "boringcrypto" && !strings.Contains(tag, ".")
}

// releaseMinor returns N for "go1.N" (followed by anything that is not a
// digit, such as ".8" or "rc1").
func releaseMinor(v string) (int, bool) {
	rest, ok := strings.CutPrefix(v, "go1.")
	if !ok {
		return 0, false
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return 0, false
	}
	return n, true
}

// releaseTagsOf returns the release tags go1.1 ... go1.N of the toolchain
// whose GOVERSION is goVersion.
func releaseTagsOf(goVersion string) ([]string, error) {
	n, ok := releaseMinor(goVersion)
	if !ok {
		return nil, needGoList("GOVERSION %q is not a release", goVersion)
	}
	tags := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		tags = append(tags, "go1."+strconv.Itoa(i))
	}
	return tags, nil
}

// modulePath reads the module directive of a go.mod file.
func modulePath(goMod string) (string, error) {
	data, err := os.ReadFile(goMod)
	if err != nil {
		return "", fmt.Errorf("read go.mod: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "//")
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"') {
			continue
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, `"`) || strings.HasPrefix(rest, "`") {
			unq, err := strconv.Unquote(rest)
			if err != nil {
				return "", needGoList("go.mod module directive %s", rest)
			}
			rest = unq
		}
		if rest == "" || strings.ContainsAny(rest, " \t(") {
			return "", needGoList("go.mod module directive %s", rest)
		}
		return rest, nil
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read go.mod: %w", err)
	}
	return "", needGoList("go.mod has no module directive")
}

// sumNames reports whether go.sum lists a version of modPath (or of a
// module under it).
func sumNames(goSum, modPath string) (bool, error) {
	data, err := os.ReadFile(goSum)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read go.sum: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		mod, _, _ := strings.Cut(line, " ")
		if mod == modPath || strings.HasPrefix(mod, modPath+"/") {
			return true, nil
		}
	}
	return false, nil
}

// listTemplate prints, for every package of the main module the target
// imports, its name, import path and source files (one per line).
const listTemplate = `{{if and .Module .Module.Main}}{{$d := .Dir}}P {{.Name}} {{.ImportPath}}
{{range .GoFiles}}F {{$d}}/{{.}}
{{end}}{{range .CgoFiles}}F {{$d}}/{{.}}
{{end}}{{range .EmbedFiles}}F {{$d}}/{{.}}
{{end}}{{range .SFiles}}F {{$d}}/{{.}}
{{end}}{{range .SysoFiles}}F {{$d}}/{{.}}
{{end}}{{end}}`

// listSources returns the source files (slash paths relative to the module
// root) of every package of the module the function imports, from
// `go list -deps` for the target platform and tags, and checks that pkg is
// a main package.
func (b *builder) listSources() ([]string, error) {
	out, err := b.goCmd("list", "-deps", "-tags", targetTags, "-f", listTemplate, b.pkg)
	if err != nil {
		return nil, err
	}
	var files []string
	lastName := ""
	for line := range strings.Lines(string(out)) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "P "):
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				lastName = fields[1]
			}
		case strings.HasPrefix(line, "F "):
			r, err := filepath.Rel(b.root, strings.TrimPrefix(line, "F "))
			if err != nil {
				return nil, fmt.Errorf("lambda %s: source %s: %w", b.pkg, line, err)
			}
			files = append(files, filepath.ToSlash(r))
		}
	}
	// go list -deps prints the named package last.
	if lastName != "main" {
		return nil, fmt.Errorf("lambda %s: not a main package (package %q); a Lambda needs func main", b.pkg, lastName)
	}
	return files, nil
}

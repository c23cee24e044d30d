// Package offline previews this project's stacks with no cloud and no
// pulumi CLI: it loads a stack's Pulumi.<stack>.yaml, validates it with
// internal/config, runs the program `pulumi up` runs (internal/stacks) under
// Pulumi mocks (internal/preview) and returns the resource graph the policy
// rules read. Stack references to the bunker stack are answered from the
// bunker stack's own offline preview.
//
// cmd/fincheck (internal/fincheck) and the tests preview through this
// package; the stacks know nothing of it.
package offline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/internal/config"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/stackfile"
	"github.com/fintech-resilience/fintech-resilience/internal/stacks"
	"github.com/fintech-resilience/fintech-resilience/policy/flows"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Preview loads a stack's configuration from dir (Pulumi.<stack>.yaml, or
// configFile when given), validates it and runs the program under mocks.
func Preview(dir, stack, configFile string) (*graph.Graph, *config.Config, error) {
	return NewSession().Preview(dir, stack, configFile)
}

// A Session previews several stacks and previews each (directory, stack,
// configuration file) once: the bunker stack that the workload and restore
// stacks reference is run once for all three. It is not safe for
// concurrent use. The graphs it returns are shared; callers only read them.
type Session struct {
	done map[sessionKey]sessionResult
}

type sessionKey struct{ dir, stack, configFile string }

type sessionResult struct {
	g   *graph.Graph
	cfg *config.Config
	err error
}

// NewSession returns an empty session.
func NewSession() *Session {
	return &Session{done: map[sessionKey]sessionResult{}}
}

// Preview is the package's Preview, answered from the session when the
// same stack was previewed before.
func (s *Session) Preview(dir, stack, configFile string) (*graph.Graph, *config.Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("project directory %s: %w", dir, err)
	}
	k := sessionKey{abs, stack, configFile}
	if r, ok := s.done[k]; ok {
		return r.g, r.cfg, r.err
	}
	g, cfg, err := s.preview(dir, stack, configFile)
	s.done[k] = sessionResult{g, cfg, err}
	return g, cfg, err
}

// Previews is how many previews the session has run (or failed): each
// (directory, stack, configuration file) counts once.
func (s *Session) Previews() int { return len(s.done) }

func (s *Session) preview(dir, stack, configFile string) (*graph.Graph, *config.Config, error) {
	sf, err := stackfile.Load(dir, stack, configFile)
	if err != nil {
		return nil, nil, err
	}
	get := func(key string) (string, bool) {
		v, ok := sf.Config[key]
		return v, ok
	}
	cfg, err := config.Load(get, stack)
	if err != nil {
		return nil, nil, err
	}
	refs, err := s.referencedOutputs(dir, sf.Config)
	if err != nil {
		return nil, nil, err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("project directory %s: %w", dir, err)
	}
	g, err := preview.Run(pulumi.RunFunc(stacks.Run), preview.Options{
		Project: sf.Project, Stack: stack, Config: sf.Config, SecretKeys: sf.SecretKeys,
		Account: cfg.AccountID, Region: cfg.Region, StackOutputs: refs, RootDirectory: root,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("stack %s: program failed: %w", stack, err)
	}
	return g, cfg, nil
}

// referencedOutputs answers the bunker stack reference offline: when a
// stack names fintech-resilience:bunkerStack (org/project/<name>) and
// Pulumi.<name>.yaml is here, that stack is previewed too and its outputs
// are taken from its graph (BunkerOutputs).
func (s *Session) referencedOutputs(dir string, cfg map[string]string) (map[string]map[string]string, error) {
	ref := cfg[config.Namespace+":bunkerStack"]
	if ref == "" {
		return nil, nil
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	if _, err := os.Stat(filepath.Join(dir, "Pulumi."+name+".yaml")); err != nil {
		return nil, fmt.Errorf("%s:bunkerStack is %q but Pulumi.%s.yaml is not in %s, so the offline preview cannot read its outputs; add that file or set %s:bunkerVaultArn (and bunkerShareArn) instead",
			config.Namespace, ref, name, dir, config.Namespace)
	}
	g, _, err := s.Preview(dir, name, "")
	if err != nil {
		return nil, fmt.Errorf("previewing referenced stack %s: %w", ref, err)
	}
	return map[string]map[string]string{ref: BunkerOutputs(g)}, nil
}

// bunkerOutputTypes are the resource types whose ARNs the bunker stack
// exports, by output name.
var bunkerOutputTypes = map[string]string{
	stacks.OutputAirGappedVaultArn: "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault",
	stacks.OutputResourceShareArn:  "aws:ram/resourceShare:ResourceShare",
}

// BunkerOutputs are the values the bunker stack exports under
// stacks.OutputAirGappedVaultArn and stacks.OutputResourceShareArn, read
// from its (offline) resource graph.
func BunkerOutputs(g *graph.Graph) map[string]string {
	out := map[string]string{}
	for key, typ := range bunkerOutputTypes {
		for _, r := range g.OfType(typ) {
			if v, ok := r.Output("arn"); ok {
				out[key] = graph.Str(v)
			}
		}
	}
	return out
}

// Universe previews stack and the bunker stack it references (when its
// configuration names one, or when the bunker vault is configured by ARN and
// Pulumi.bunker.yaml is in dir), for flows that cross accounts.
func Universe(dir, stack, configFile string) (flows.Universe, error) {
	return NewSession().Universe(dir, stack, configFile)
}

// Universe is the package's Universe, with the previews of the session.
func (s *Session) Universe(dir, stack, configFile string) (flows.Universe, error) {
	g, cfg, err := s.Preview(dir, stack, configFile)
	if err != nil {
		return flows.Universe{}, err
	}
	u := flows.Universe{Stacks: []flows.Stack{{Name: stack, Account: cfg.AccountID, Graph: g}}}
	ref := ""
	switch cfg.Role {
	case config.RoleWorkload:
		ref = cfg.Backup.BunkerStack
	case config.RoleRestore:
		ref = cfg.Recovery.BunkerStack
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	if ref == "" && cfg.Role != config.RoleBunker {
		// The bunker vault is configured by ARN: its stack file, when it
		// is here, still answers the resource side.
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.bunker.yaml")); err == nil {
			name = "bunker"
		}
	}
	if name != "" {
		bg, bcfg, err := s.Preview(dir, name, "")
		if err != nil {
			return flows.Universe{}, fmt.Errorf("previewing the bunker stack %s: %w", name, err)
		}
		if bcfg.AccountID != cfg.Accounts.Bunker {
			return flows.Universe{}, fmt.Errorf("stack %s is account %s but %s names the bunker account %s", name, bcfg.AccountID, stack, cfg.Accounts.Bunker)
		}
		u.Stacks = append(u.Stacks, flows.Stack{Name: name, Account: bcfg.AccountID, Graph: bg})
	}
	return u, nil
}

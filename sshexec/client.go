package sshexec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// Defaults.
const (
	DefaultConnectTimeout    = 30 * time.Second
	DefaultKeepAliveInterval = 5 * time.Second
	DefaultKeepAliveCountMax = 3
	// DefaultMaxSessions stays below sshd's default MaxSessions (10).
	DefaultMaxSessions = 8
)

// Options says where and how to connect. Fields left zero come from
// ~/.ssh/config (as OpenSSH resolves it), then from the defaults; fields
// set here win over the config.
type Options struct {
	// Host is an ~/.ssh/config alias, host, user@host[:port] or
	// [v6addr]:port.
	Host string
	// User and Port override the config and Host.
	User string
	Port int
	// ConfigFile is the ssh_config to read: "" for ~/.ssh/config and
	// /etc/ssh/ssh_config, "none" for none.
	ConfigFile string
	// IdentityFiles are tried before the config's IdentityFile entries.
	IdentityFiles []string
	// KnownHostsFiles replace the config's known_hosts files; an accepted
	// key is appended to the first.
	KnownHostsFiles []string
	// ProxyJump overrides the config: "[user@]host[:port],..." or "none".
	ProxyJump string
	// AgentSocket overrides SSH_AUTH_SOCK; "none" uses no agent.
	AgentSocket string
	// Prompter asks about unknown host keys and passphrases; nil refuses
	// both, like RefusePrompter. Unknown hosts are asked about even under
	// StrictHostKeyChecking no or accept-new: golive never trusts a key
	// silently. Under StrictHostKeyChecking yes they are refused.
	Prompter Prompter
	// ConnectTimeout bounds the TCP connect and the handshake of each hop,
	// not the time the operator takes to answer a prompt.
	ConnectTimeout time.Duration
	// KeepAliveInterval and KeepAliveCountMax: the link is declared dead
	// when keepalives go unanswered for about Interval*CountMax.
	KeepAliveInterval time.Duration
	KeepAliveCountMax int
	// MaxSessions bounds concurrent sessions on the connection.
	MaxSessions int
	// OnHostKeyAccepted is told about each host key the operator accepted.
	OnHostKeyAccepted func(HostKeyAccepted)
	// JobRetention: on its first Run the executor removes job directories
	// on the host in which nothing changed for this long (jobs whose
	// golive died before forgetting them), never one whose job may still
	// run. Zero means DefaultJobRetention (7 days); negative disables.
	JobRetention time.Duration
}

// Client is one SSH connection to a host, shared by everything that runs
// there during a release. It reconnects when told to and is safe for
// concurrent use.
type Client struct {
	opts     Options
	tgt      *target
	keys     *keyring
	sem      chan struct{}
	interval time.Duration
	countMax int
	timeout  time.Duration

	smu   sync.Mutex    // guards open and freed
	open  int           // sessions of ours open now
	freed chan struct{} // closed when one of them closes

	reconnectMu sync.Mutex
	mu          sync.Mutex
	link        *link
	accepted    map[string]ssh.PublicKey // addr -> key accepted this run
	closed      bool
}

// Dial resolves opts.Host, connects (through any ProxyJump hops, checking
// every host key) and authenticates. ctx bounds the whole connect.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if strings.TrimSpace(opts.Host) == "" {
		return nil, errors.New("no host given: pass an ~/.ssh/config alias, user@host or host:port")
	}
	cfg, err := loadSSHConfig(opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	user, host, port, err := parseHostSpec(opts.Host)
	if err != nil {
		return nil, err
	}
	if opts.User != "" {
		user = opts.User
	}
	if opts.Port != 0 {
		port = opts.Port
	}
	tgt, err := cfg.resolveHost(host, user, port)
	if err != nil {
		return nil, err
	}
	if opts.ProxyJump != "" {
		tgt.jumps, err = cfg.resolveJumps(opts.ProxyJump)
	} else if tgt.jumps, err = cfg.resolveJumps(tgt.proxyJump); err != nil {
		err = fmt.Errorf("ssh config %s: %w", tgt.proxyJumpWhere, err)
	}
	if err != nil {
		return nil, err
	}
	var flagIDs []string
	for _, f := range opts.IdentityFiles {
		flagIDs = append(flagIDs, expandTilde(f))
	}
	tgt.identityFiles = append(flagIDs, tgt.identityFiles...)
	for _, h := range tgt.jumps {
		// Jump hosts use their own config keys (or the defaults) first,
		// then the keys named for the target: often the same key works.
		h.extraIdentityFiles = flagIDs
	}
	var khFiles []string
	for _, f := range opts.KnownHostsFiles {
		khFiles = append(khFiles, expandTilde(f))
	}
	opts.KnownHostsFiles = khFiles
	c := &Client{
		opts:     opts,
		tgt:      tgt,
		keys:     &keyring{prompter: opts.Prompter, agentSock: opts.AgentSocket},
		interval: firstDuration(opts.KeepAliveInterval, tgt.aliveInterval, DefaultKeepAliveInterval),
		countMax: firstInt(opts.KeepAliveCountMax, tgt.aliveCountMax, DefaultKeepAliveCountMax),
		timeout:  firstDuration(opts.ConnectTimeout, tgt.connectTimeout, DefaultConnectTimeout),
		accepted: map[string]ssh.PublicKey{},
	}
	c.sem = make(chan struct{}, firstInt(opts.MaxSessions, DefaultMaxSessions))
	l, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.link = l
	return c, nil
}

func firstDuration(ds ...time.Duration) time.Duration {
	for _, d := range ds {
		if d > 0 {
			return d
		}
	}
	return 0
}

func firstInt(ns ...int) int {
	for _, n := range ns {
		if n > 0 {
			return n
		}
	}
	return 0
}

// Name is the host as shown to the operator: user@host:port.
func (c *Client) Name() string { return c.tgt.String() }

// ConnInfo describes a live connection, for the release record.
type ConnInfo struct {
	// Name is user@host:port of the target.
	Name string
	// HostKeyType ("ED25519") and HostKeyFingerprint ("SHA256:...") are
	// the target's host key, as verified.
	HostKeyType, HostKeyFingerprint string
	// AuthKeyFingerprint is the key that logged in (for a certificate,
	// its key).
	AuthKeyFingerprint string
	// Jumps are the ProxyJump hops (user@host:port), in order.
	Jumps []string
}

// Info describes the current connection (after a reconnect, the new one).
func (c *Client) Info() ConnInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.link == nil {
		return ConnInfo{Name: c.tgt.String()}
	}
	return c.link.info
}

// Executor returns the job runner for this host.
func (c *Client) Executor() Executor {
	r := newRunner(c)
	r.keep = retention(c.opts.JobRetention)
	return r
}

// Close closes the connection; it is not reopened.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	l := c.link
	c.mu.Unlock()
	if l != nil {
		l.client.Close()
		<-l.done
	}
	return nil
}

// connect dials the whole chain. An unknown host key aborts the handshake;
// the operator is asked outside of it (so sshd's LoginGraceTime cannot run
// out while they read the fingerprint), and the chain is dialed again.
func (c *Client) connect(ctx context.Context) (*link, error) {
	chain := append(append([]*target{}, c.tgt.jumps...), c.tgt)
	skips, unlockRetry := 0, false
	for round := 0; round <= len(chain)+skips; round++ {
		unlocks := c.keys.unlockCount()
		l, unknown, err := c.dialChain(ctx, chain)
		if err == nil {
			return l, nil
		}
		if c.keys.unlockCount() > unlocks && !unlockRetry && ctx.Err() == nil {
			// The server gave up (LoginGraceTime) while the operator typed
			// a passphrase; the key is unlocked now, so dial once more.
			unlockRetry = true
			skips++
			continue
		}
		var skipped *skippedKeyError
		if errors.As(err, &skipped) && skips < 8 {
			skips++ // dial again without that key
			continue
		}
		if unknown == nil {
			return nil, err
		}
		if err := c.askUnknown(ctx, unknown); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("connect to %s: host keys kept changing while connecting; try again", c.tgt.alias)
}

func (c *Client) dialChain(ctx context.Context, chain []*target) (*link, *unknownHost, error) {
	var clients []*ssh.Client
	var info ConnInfo
	fail := func() {
		for i := len(clients) - 1; i >= 0; i-- {
			clients[i].Close()
		}
	}
	for i, hop := range chain {
		what := hop.alias
		if i < len(chain)-1 {
			what = "jump host " + hop.alias
		}
		dctx, cancel := context.WithTimeout(ctx, c.timeout)
		var conn net.Conn
		var err error
		if i == 0 {
			conn, err = (&net.Dialer{}).DialContext(dctx, "tcp", hop.addr())
		} else {
			conn, err = clients[i-1].DialContext(dctx, "tcp", hop.addr())
		}
		cancel()
		if err != nil {
			fail()
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("connect to %s (%s): %w", what, hop.addr(), ctx.Err())
			}
			return nil, nil, fmt.Errorf("connect to %s (%s): %w; check the host name and port and that sshd runs there; try `%s`", what, hop.addr(), err, hop.sshVerbose())
		}
		sc, chk, err := c.handshake(ctx, conn, hop, what)
		if err != nil {
			fail()
			var he *HostKeyError
			if errors.As(err, &he) && he.Kind == HostKeyUnknown && chk != nil && chk.unknown != nil {
				return nil, &unknownHost{hop: hop, chk: chk, err: he}, err
			}
			return nil, nil, err
		}
		clients = append(clients, sc)
		if i < len(chain)-1 {
			info.Jumps = append(info.Jumps, hop.String())
			continue
		}
		info.Name = hop.String()
		if chk.verified != nil {
			info.HostKeyType, info.HostKeyFingerprint = keyTypeName(chk.verified), ssh.FingerprintSHA256(chk.verified)
		}
		if k := chk.authKey; k != nil {
			if cert, ok := k.(*ssh.Certificate); ok {
				k = cert.Key
			}
			info.AuthKeyFingerprint = ssh.FingerprintSHA256(k)
		}
	}
	last := len(clients) - 1
	l := c.startLink(clients[last], clients[:last])
	l.info = info
	return l, nil, nil
}

// handshake runs the SSH handshake on conn, bounded by ctx and by the
// connect timeout (paused while the operator types a passphrase).
func (c *Client) handshake(ctx context.Context, conn net.Conn, hop *target, what string) (*ssh.Client, *hostKeyCheck, error) {
	db, err := loadKnownHosts(c.knownHostsFiles(hop))
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	c.mu.Lock()
	chk := &hostKeyCheck{host: hop.alias, addr: hop.keyName(), jump: hop != c.tgt, db: db, accepted: c.accepted[hop.keyName()]}
	c.mu.Unlock()

	var timedOut atomic.Bool
	watch := time.AfterFunc(c.timeout, func() { timedOut.Store(true); conn.Close() })
	ids := hop.identityFiles
	explicit := len(ids) > 0
	if !explicit {
		ids = defaultIdentityFiles()
	}
	ids = append(ids, hop.extraIdentityFiles...)
	plan := c.keys.plan(ctx, planArgs{
		files: ids, certFiles: hop.certificateFiles, explicit: explicit, identitiesOnly: hop.identitiesOnly,
		agentSock: c.keys.agentSocket(hop.identityAgent), batch: hop.batch, beforePrompt: func() { watch.Stop() },
	})
	defer plan.close()
	cfg := &ssh.ClientConfig{
		User:              hop.user,
		Auth:              []ssh.AuthMethod{plan.method()},
		HostKeyCallback:   chk.callback,
		HostKeyAlgorithms: chk.algorithms(),
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(bufferReads(conn), hop.addr(), cfg)
	watch.Stop()
	stop()
	if err == nil {
		chk.authKey = plan.usedKey()
		return ssh.NewClient(sc, chans, reqs), chk, nil
	}
	conn.Close()
	var he *HostKeyError
	switch {
	case errors.As(err, &he):
		return nil, chk, he
	case ctx.Err() != nil:
		return nil, chk, fmt.Errorf("connect to %s (%s): %w", what, hop.addr(), ctx.Err())
	case timedOut.Load():
		return nil, chk, fmt.Errorf("connect to %s (%s): ssh handshake did not finish within %s; check that an SSH server (not something else) listens there; try `%s`", what, hop.addr(), c.timeout, hop.sshVerbose())
	case strings.Contains(err.Error(), "no common algorithm for host key"):
		return nil, chk, fmt.Errorf("connect to %s (%s): %w; the host no longer offers the type of key known_hosts holds for it (%s), "+
			"which is how a replaced server or a man-in-the-middle looks: ask the host's administrator, and only then remove the old entry with `ssh-keygen -R '%s'`",
			what, hop.addr(), err, strings.Join(cfg.HostKeyAlgorithms, ", "), knownhosts.Normalize(hop.keyName()))
	case strings.Contains(err.Error(), "Too many authentication failures"):
		return nil, chk, fmt.Errorf("log in to %s (%s) as %s: %w; %s; the server stops after MaxAuthTries keys: set `IdentitiesOnly yes` and the right IdentityFile for this host in ~/.ssh/config", what, hop.addr(), hop.user, err, plan.describe())
	case strings.Contains(err.Error(), "unable to authenticate"):
		return nil, chk, fmt.Errorf("log in to %s (%s) as %s: %w; %s; make sure the public key is in ~%s/.ssh/authorized_keys on the host, or name the private key with --identity or IdentityFile in the ssh config", what, hop.addr(), hop.user, err, plan.describe(), hop.user)
	}
	return nil, chk, fmt.Errorf("ssh handshake with %s (%s): %w; check that an SSH server (not something else) listens there, and what its log says; try `%s`", what, hop.addr(), err, hop.sshVerbose())
}

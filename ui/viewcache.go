package ui

import (
	"sync"
	"sync/atomic"
)

// The main screen is redrawn after every batch of output (a few times a
// second while a step streams) and after every key, yet most of it does
// not change between two frames: the step list until a status or the
// selection changes, the selected step's text until the step or the
// width changes, the help bar until the keys that work change, the
// header but for its clock. viewCache keeps those renders.
//
// Every entry is stored with the inputs it was rendered from and reused
// only when all of them are equal, so there is nothing to invalidate:
// a Model copy that differs in any input (another selection, size,
// status, styles) renders afresh. Model is a value and Bubble Tea calls
// View on a copy, so the cache hangs off a pointer every copy shares; a
// Model without one (the zero Model) renders everything every time.

// viewCache holds the main screen's memoized parts. Its zero value is
// empty and ready; a nil *viewCache caches nothing.
type viewCache struct {
	header memo[headerKey]
	status memo[statusKey]
	footer memo[footerKey]
	list   memo[listKey]

	// rows are rendered step list rows, detail the step texts that
	// depend only on the runbook, the width and the styles.
	rows   capped[rowKey, cachedLine]
	detail capped[detailKey, *detailParts]
}

// maxRows and maxDetails bound the row and detail maps: past them they
// start over (a terminal resized through many widths would otherwise
// keep every width). A row is a line; a step's detail parts a few KB, so
// the detail map stays under about a MB.
const (
	maxRows    = 4096
	maxDetails = 512
)

// memoSlots is how many renders a memo keeps: a few, so that going back
// and forth (the help bar opened and closed, two sizes, two selections)
// finds both.
const memoSlots = 4

// memo keeps the last few renders of one part of the screen, each with
// the key it was rendered for.
type memo[K comparable] struct {
	mu    sync.Mutex
	slots [memoSlots]memoSlot[K]
	next  int // the slot the next miss replaces
}

// memoSlot is one render of a memo and its key.
type memoSlot[K comparable] struct {
	ok  bool
	key K
	val string
}

// get returns the value for k, rendering it with f when no slot holds
// it. f runs without the lock held, so it may use other memos.
func (c *memo[K]) get(k K, f func() string) string {
	c.mu.Lock()
	for i := range c.slots {
		if s := &c.slots[i]; s.ok && s.key == k {
			v := s.val
			c.mu.Unlock()
			return v
		}
	}
	c.mu.Unlock()
	v := f()
	c.mu.Lock()
	c.slots[c.next] = memoSlot[K]{ok: true, key: k, val: v}
	c.next = (c.next + 1) % memoSlots
	c.mu.Unlock()
	return v
}

// cachedLine is a rendered line and its width in cells.
type cachedLine struct {
	text  string
	width int
}

// capped is a map of renders, with its own lock, that starts over once
// it holds max entries.
type capped[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

// get returns the value for k, rendering it with f on a miss.
func (c *capped[K, V]) get(k K, max int, f func() V) V {
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = f()
	c.mu.Lock()
	if c.m == nil || len(c.m) >= max {
		c.m = map[K]V{}
	}
	c.m[k] = v
	c.mu.Unlock()
	return v
}

// row returns the cached rendering of a step list row, rendering it with
// f on a miss.
func (c *viewCache) row(k rowKey, f func() cachedLine) cachedLine {
	if c == nil {
		return f()
	}
	return c.rows.get(k, maxRows, f)
}

// details returns the cached step texts for k, rendering them with f on
// a miss.
func (c *viewCache) details(k detailKey, f func() *detailParts) *detailParts {
	if c == nil {
		return f()
	}
	return c.detail.get(k, maxDetails, f)
}

// memoHeader, memoStatus, memoFooter and memoList are get on the
// matching memo, or f itself without a cache.
func (c *viewCache) memoHeader(k headerKey, f func() string) string {
	if c == nil {
		return f()
	}
	return c.header.get(k, f)
}

func (c *viewCache) memoStatus(k statusKey, f func() string) string {
	if c == nil {
		return f()
	}
	return c.status.get(k, f)
}

func (c *viewCache) memoFooter(k footerKey, f func() string) string {
	if c == nil {
		return f()
	}
	return c.footer.get(k, f)
}

func (c *viewCache) memoList(k listKey, f func() string) string {
	if c == nil {
		return f()
	}
	return c.list.get(k, f)
}

// styleSets numbers every styles value defaultStyles builds, so caches
// can tell two sets apart (styles holds maps: it cannot be compared).
var styleSets atomic.Uint64

// headerKey is everything the header line is rendered from.
type headerKey struct {
	styles                uint64
	width                 int
	title, host, operator string
	progress, elapsed     string
}

// statusKey is everything the status line is rendered from.
type statusKey struct {
	styles uint64
	width  int
	text   string
	ok     bool
}

// footerKey is everything the help bar is rendered from: the width and
// the help text of the keys that work now.
type footerKey struct {
	styles    uint64
	width     int
	helpWidth int
	all       bool
	keys      string
}

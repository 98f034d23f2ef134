package cluster

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"mediapush/worker"
)

// NodeView is a node as placement sees it: its last status and whether it is still heard.
type NodeView struct {
	Status
	Live bool
	// Seen is when its last status arrived (by this process's clock).
	Seen time.Time
}

// Placement is where a job may go: the nodes to try, best first, and when there is none,
// why each node cannot take it.
type Placement struct {
	Order []string
	// Refusal, when Order is empty, says what no node has, for the caller.
	Refusal *worker.LimitError
}

// Place orders the live, non-draining nodes whose status says the job fits by their free CPU
// budget, then free memory, most first. The node itself decides on a start: its load moves
// between heartbeats, so a node that refuses is followed by the next.
func Place(job worker.Job, nodes []NodeView) Placement {
	type fit struct {
		id   string
		free worker.Cost
	}
	var fits []fit
	var why []string
	causes := map[string]int{}
	short := func(id, cause, text string) {
		why = append(why, id+" "+text)
		causes[cause]++
	}
	slices.SortFunc(nodes, func(a, b NodeView) int { return cmp.Compare(a.Node, b.Node) })
	var need worker.Cost
	for _, n := range nodes {
		est := worker.Estimate(job, n.Load.Learnt)
		need = worker.Cost{Cores: max(need.Cores, est.Cores), Bytes: max(need.Bytes, est.Bytes)}
		free := worker.Cost{Cores: math.Inf(1), Bytes: math.MaxInt64}
		if n.Budget.Cores > 0 {
			free.Cores = n.Budget.Cores - n.Load.Load.Cores
		}
		if n.Budget.Bytes > 0 {
			free.Bytes = n.Budget.Bytes - n.Load.Load.Bytes
		}
		switch {
		case !n.Live:
			short(n.Node, "", "not heard from")
		case n.Draining:
			short(n.Node, "", "draining")
		case n.MaxSessions > 0 && len(n.Running) >= n.MaxSessions:
			short(n.Node, worker.CauseSessions, fmt.Sprintf("runs %d of %d sessions", len(n.Running), n.MaxSessions))
		case n.Budget.Cores > 0 && est.Cores > free.Cores:
			short(n.Node, worker.CauseCPU, fmt.Sprintf("%s of %s cores free", cores(max(free.Cores, 0)), cores(n.Budget.Cores)))
		case n.Budget.Bytes > 0 && est.Bytes > free.Bytes:
			short(n.Node, worker.CauseMemory, fmt.Sprintf("%s of %s memory free", memory(free.Bytes), memory(n.Budget.Bytes)))
		default:
			fits = append(fits, fit{n.Node, free})
		}
	}
	if len(fits) == 0 {
		return Placement{Refusal: noWorker(job, need, why, causes)}
	}
	slices.SortStableFunc(fits, func(a, b fit) int {
		if c := cmp.Compare(b.free.Cores, a.free.Cores); c != 0 {
			return c
		}
		return cmp.Compare(b.free.Bytes, a.free.Bytes)
	})
	p := Placement{Order: make([]string, len(fits))}
	for i, f := range fits {
		p.Order[i] = f.id
	}
	return p
}

// noWorker is the refusal when no node can take a job: what it needs and what each node lacks.
func noWorker(job worker.Job, need worker.Cost, why []string, causes map[string]int) *worker.LimitError {
	size := fmt.Sprintf("%dx%d", job.Width, job.Height)
	if len(why) == 0 {
		return &worker.LimitError{Message: "no worker node can take a " + size + " session: none is connected",
			Cause: worker.CauseSessions, RetryAfter: worker.DefaultRetryAfter}
	}
	// The cause most nodes are short of, for the refusal counters and the caller.
	cause, most := worker.CauseSessions, 0
	for _, c := range worker.Causes {
		if causes[c] > most {
			cause, most = c, causes[c]
		}
	}
	msg := fmt.Sprintf("no worker node can take a %s session (about %s cores, %s): %s; try again later",
		size, cores(need.Cores), memory(need.Bytes), strings.Join(why, ", "))
	return &worker.LimitError{Message: msg, Cause: cause, RetryAfter: worker.DefaultRetryAfter}
}

func cores(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func memory(b int64) string { return humanize.IBytes(uint64(max(b, 0))) }

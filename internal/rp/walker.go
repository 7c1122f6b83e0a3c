package rp

import "sync"

// walker runs publication points on a fixed number of workers. Signature
// checks dominate validation, and publication points are independent once
// their CA certificate is validated, so each is one task. The queue is
// LIFO: the walk goes depth first and the queue holds at most the pending
// siblings along one path per worker, not a whole level of the tree.
type walker struct {
	mu      sync.Mutex
	cond    *sync.Cond
	tasks   []func()
	pending int // queued plus running
	stopped bool
}

func newWalker(workers int) *walker {
	w := &walker{}
	w.cond = sync.NewCond(&w.mu)
	for range max(workers, 1) {
		go w.work()
	}
	return w
}

func (w *walker) push(f func()) {
	w.mu.Lock()
	w.tasks = append(w.tasks, f)
	w.pending++
	w.mu.Unlock()
	w.cond.Broadcast()
}

// pushWhen queues f once ready is closed. It is pending from now on, so
// wait covers it, but it holds no worker while it waits (a publication
// point whose repository is still downloading).
func (w *walker) pushWhen(ready <-chan struct{}, f func()) {
	w.mu.Lock()
	w.pending++
	w.mu.Unlock()
	go func() {
		<-ready
		w.mu.Lock()
		w.tasks = append(w.tasks, f)
		w.mu.Unlock()
		w.cond.Broadcast()
	}()
}

func (w *walker) work() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for len(w.tasks) == 0 && !w.stopped {
			w.cond.Wait()
		}
		if w.stopped {
			return
		}
		f := w.tasks[len(w.tasks)-1]
		w.tasks[len(w.tasks)-1] = nil
		w.tasks = w.tasks[:len(w.tasks)-1]
		w.mu.Unlock()
		f()
		w.mu.Lock()
		w.pending--
		if w.pending == 0 {
			w.cond.Broadcast()
		}
	}
}

// wait blocks until every pushed task, and every task those pushed, ran.
func (w *walker) wait() {
	w.mu.Lock()
	for w.pending > 0 {
		w.cond.Wait()
	}
	w.mu.Unlock()
}

// stop ends the workers; call after wait.
func (w *walker) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.cond.Broadcast()
}

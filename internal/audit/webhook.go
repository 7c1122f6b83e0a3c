package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Webhook posts alerts as JSON to a URL, retrying failed posts with
// exponential backoff.
type Webhook struct {
	URL       string
	Client    *http.Client  // nil: http.DefaultClient
	Timeout   time.Duration // bounds one POST (0: DefaultWebhookTimeout)
	Attempts  int           // tries in all (0: DefaultWebhookAttempts)
	Backoff   time.Duration // wait before the second try, doubling after (0: DefaultWebhookBackoff)
	UserAgent string
}

// Send posts v as JSON. A network error, a 5xx or a 429 answer is tried
// again; another answer outside 2xx fails at once (resending would not help).
func (w *Webhook) Send(ctx context.Context, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	attempts, backoff := w.Attempts, w.Backoff
	if attempts <= 0 {
		attempts = DefaultWebhookAttempts
	}
	if backoff <= 0 {
		backoff = DefaultWebhookBackoff
	}
	for i := 1; ; i++ {
		retry, err := w.post(ctx, body)
		if err == nil || !retry || i >= attempts {
			if err != nil && i > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, i)
			}
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (retry cancelled: %v)", err, ctx.Err())
		case <-t.C:
		}
		backoff *= 2
	}
}

// post makes one attempt; retry tells whether another may succeed.
func (w *Webhook) post(ctx context.Context, body []byte) (retry bool, err error) {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.UserAgent)
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return true, fmt.Errorf("webhook post: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode/100 == 5 || resp.StatusCode == http.StatusTooManyRequests,
			fmt.Errorf("webhook answered %s", resp.Status)
	}
	return false, nil
}

package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Changes is GET /api/v1/changes (state "" lists every state).
func (c *Client) Changes(ctx context.Context, state string) (*ChangeList, error) {
	var q url.Values
	if state != "" {
		q = url.Values{"state": {state}}
	}
	var v ChangeList
	return &v, c.get(ctx, "/changes", q, &v)
}

// Change is GET /api/v1/changes/{id}, with its timeline.
func (c *Client) Change(ctx context.Context, id int64) (*Change, error) {
	var v Change
	return &v, c.get(ctx, fmt.Sprintf("/changes/%d", id), nil, &v)
}

// Approve is POST /api/v1/changes/{id}/approve. When the re-run checks
// block it, the result has Blocked set (status 409) and the change stays
// pending.
func (c *Client) Approve(ctx context.Context, id int64, req ApproveRequest) (*ProposalResult, int, error) {
	return c.proposal(ctx, fmt.Sprintf("/changes/%d/approve", id), req)
}

// Reject is POST /api/v1/changes/{id}/reject.
func (c *Client) Reject(ctx context.Context, id int64, reason string) (*Change, error) {
	var v Change
	return &v, c.sendJSON(ctx, http.MethodPost, fmt.Sprintf("/changes/%d/reject", id), RejectRequest{Reason: reason}, &v)
}

// Revert is POST /api/v1/changes/revert: a proposal of the inverse, answered
// like Propose (200 applied or dry run, 202 pending, 409 blocked).
func (c *Client) Revert(ctx context.Context, req RevertRequest) (*ProposalResult, int, error) {
	return c.proposal(ctx, "/changes/revert", req)
}

// FlagToken is POST /api/v1/tokens/{name}/flag.
func (c *Client) FlagToken(ctx context.Context, name string, flagged bool) (*TokenFlag, error) {
	var v TokenFlag
	return &v, c.sendJSON(ctx, http.MethodPost, "/tokens/"+url.PathEscape(name)+"/flag", TokenFlag{Flagged: flagged}, &v)
}

// proposal posts body to path and reads a proposal result; a 409 is a
// blocked result unless its body is an error.
func (c *Client) proposal(ctx context.Context, path string, in any) (*ProposalResult, int, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, 0, err
	}
	var v struct {
		ProposalResult
		Error *Error `json:"error"`
	}
	status, err := c.do(ctx, http.MethodPost, path, nil, bytes.NewReader(body), jsonHeader(), &v, http.StatusConflict)
	if err != nil {
		return nil, status, err
	}
	if status == http.StatusConflict {
		if v.Error != nil && v.Error.Code != "" {
			return nil, status, &APIError{Status: status, Code: v.Error.Code, Message: v.Error.Message, Details: v.Error.Details}
		}
		v.Blocked = true
	}
	return &v.ProposalResult, status, nil
}

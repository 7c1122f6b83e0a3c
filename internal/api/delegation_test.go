package api

import (
	"context"

	"github.com/roadrpki/road/internal/delegation"
)

func (b *quietBackend) ChildRequest(context.Context) ([]byte, error) {
	return []byte("<child_request/>"), nil
}
func (b *quietBackend) PublisherRequest(context.Context) ([]byte, error) {
	return []byte("<publisher_request/>"), nil
}
func (b *quietBackend) AddParent(_ context.Context, actor, name string, _ []byte) (*delegation.Peer, error) {
	b.actors = append(b.actors, actor)
	return &delegation.Peer{Name: name}, nil
}
func (b *quietBackend) AddRepository(_ context.Context, actor, name string, _ []byte) (*delegation.Peer, error) {
	b.actors = append(b.actors, actor)
	return &delegation.Peer{Name: name}, nil
}
func (b *quietBackend) RemovePeer(_ context.Context, actor string, _ delegation.Kind, _ string) error {
	b.actors = append(b.actors, actor)
	return nil
}
func (b *quietBackend) ListPeers(context.Context, delegation.Kind) ([]delegation.Peer, error) {
	return nil, nil
}
func (b *quietBackend) SyncPeers(context.Context, bool) error { return nil }

func (b *quietBackend) StartRoll(_ context.Context, actor string) (*delegation.Roll, error) {
	b.actors = append(b.actors, actor)
	return &delegation.Roll{}, nil
}
func (b *quietBackend) ActivateRoll(_ context.Context, actor string) (*delegation.Roll, error) {
	b.actors = append(b.actors, actor)
	return &delegation.Roll{}, nil
}
func (b *quietBackend) KeyRoll(context.Context) (*delegation.Roll, error) { return nil, nil }
func (b *quietBackend) IdentityRoll(_ context.Context, actor string) ([]byte, []byte, error) {
	b.actors = append(b.actors, actor)
	return []byte("<child_request/>"), []byte("<publisher_request/>"), nil
}
func (b *quietBackend) IdentityActivate(_ context.Context, actor string) error {
	b.actors = append(b.actors, actor)
	return nil
}

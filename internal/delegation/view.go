package delegation

import (
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

func classView(c store.ParentClass, active bool) Class {
	v := Class{Name: c.Class, Resources: c.Resources, Active: active}
	if cert, err := rpki.ParseCertificate(c.CertDER); err == nil && len(c.CertDER) > 0 {
		v.NotAfter = cert.NotAfter
	}
	return v
}

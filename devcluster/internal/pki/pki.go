// Package pki generates the certificates and keys of one devcluster: a CA, the
// API server's serving certificate, client certificates for every component and
// the service-account signing key. Everything is written as PEM files.
package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a certificate authority able to sign leaf certificates.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err)
	}
	return n
}

// newKey makes an RSA key: Java clients (Fabric8, which the operator and its tests use)
// read PKCS#1 RSA keys from a kubeconfig but not PKCS#8 EC ones, and kubeadm issues RSA too.
func newKey() crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// KeyPEM encodes a private key as PKCS#8 PEM (or PKCS#1 for RSA).
func KeyPEM(k crypto.Signer) []byte {
	if rk, ok := k.(*rsa.PrivateKey); ok {
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// NewCA creates a self-signed CA valid for ten years.
func NewCA(cn string) (*CA, error) {
	key := newKey()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Leaf describes a certificate to sign.
type Leaf struct {
	CommonName   string
	Organization []string
	DNSNames     []string
	IPs          []net.IP
	Server       bool
	Client       bool
}

// Sign issues a leaf certificate and returns (certPEM, keyPEM).
func (ca *CA) Sign(l Leaf) ([]byte, []byte, error) {
	key := newKey()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: l.CommonName, Organization: l.Organization},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		DNSNames:     l.DNSNames,
		IPAddresses:  l.IPs,
	}
	if l.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if l.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), KeyPEM(key), nil
}

// Bundle is the set of files one cluster needs, by name (relative to the pki dir).
type Bundle map[string][]byte

// Generate creates every certificate and key devcluster uses.
func Generate(nodeName string) (Bundle, error) {
	ca, err := NewCA("devcluster-ca")
	if err != nil {
		return nil, err
	}
	b := Bundle{"ca.crt": ca.CertPEM, "ca.key": KeyPEM(ca.Key)}
	loop := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	add := func(name string, l Leaf) error {
		c, k, err := ca.Sign(l)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		b[name+".crt"], b[name+".key"] = c, k
		return nil
	}
	leaves := []struct {
		name string
		leaf Leaf
	}{
		{"apiserver", Leaf{CommonName: "kube-apiserver", Server: true,
			DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
			IPs:      append(loop, net.ParseIP("10.0.0.1"))}},
		{"apiserver-kubelet-client", Leaf{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}, Client: true}},
		{"admin", Leaf{CommonName: "devcluster-admin", Organization: []string{"system:masters"}, Client: true}},
		{"controller-manager", Leaf{CommonName: "system:kube-controller-manager", Client: true}},
		{"controller-manager-serving", Leaf{CommonName: "kube-controller-manager", Server: true, DNSNames: []string{"localhost"}, IPs: loop}},
		{"scheduler", Leaf{CommonName: "system:kube-scheduler", Client: true}},
		{"node", Leaf{CommonName: "system:node:" + nodeName, Organization: []string{"system:nodes"}, Client: true}},
		{"kubelet-serving", Leaf{CommonName: nodeName, Server: true, DNSNames: []string{"localhost", nodeName}, IPs: loop}},
	}
	for _, l := range leaves {
		if err := add(l.name, l.leaf); err != nil {
			return nil, err
		}
	}
	// front proxy (aggregation layer): its own CA, as kubeadm does
	fp, err := NewCA("devcluster-front-proxy-ca")
	if err != nil {
		return nil, err
	}
	b["front-proxy-ca.crt"] = fp.CertPEM
	fc, fk, err := fp.Sign(Leaf{CommonName: "front-proxy-client", Client: true})
	if err != nil {
		return nil, err
	}
	b["front-proxy-client.crt"], b["front-proxy-client.key"] = fc, fk
	// service-account signing key: ECDSA P-256 (ES256), generated in a few ms (RSA takes ~1s here)
	sa := newKey()
	b["sa.key"] = KeyPEM(sa)
	pub, err := x509.MarshalPKIXPublicKey(sa.Public())
	if err != nil {
		return nil, err
	}
	b["sa.pub"] = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	return b, nil
}

// Write stores the bundle in dir (mode 0600 for keys).
func (b Bundle) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range b {
		mode := os.FileMode(0o644)
		if filepath.Ext(name) == ".key" {
			mode = 0o600
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, mode); err != nil {
			return err
		}
	}
	return nil
}

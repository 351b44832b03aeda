// Package locales embeds Tongxin's message files: the resident-facing
// messages (active.<locale>.toml), the handbook (handbook.<locale>.toml),
// and the list of locales with their metadata (locales.toml).
package locales

import "embed"

// FS holds every locale file.
//
//go:embed *.toml
var FS embed.FS

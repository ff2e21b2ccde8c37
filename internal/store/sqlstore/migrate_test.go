package sqlstore

import (
	"testing"
	"testing/fstest"
)

func TestMigrationsOrderAndNumbers(t *testing.T) {
	engine := fstest.MapFS{
		"migrations/0001_init.sql":   {Data: []byte("-- engine")},
		"migrations/9998_engine.sql": {Data: []byte("-- engine")},
		"migrations/README.md":       {Data: []byte("not SQL")},
	}
	all, err := migrations(engine)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].name >= all[i].name {
			t.Fatalf("migrations out of order: %s before %s", all[i-1].name, all[i].name)
		}
	}
	if all[0].name != "migrations/0001_init.sql" || all[len(all)-1].name != "migrations/9998_engine.sql" {
		t.Fatalf("migrations = %v", all)
	}
	engine["migrations/0001_other.sql"] = &fstest.MapFile{Data: []byte("-- clash")}
	if _, err := migrations(engine); err == nil {
		t.Fatal("two migrations numbered 0001 were accepted")
	}
}

package main

// Why this file exists: FerretDB 1.24's SQLite backend creates each collection's `_id` index
// on the expression `_ferretdb_sjson->"_id"` (the double-quoted name is taken as the string
// '_id'), but looks documents up, updates and deletes them with
// `WHERE _ferretdb_sjson->'$._id' = ?`. Both extract the same value, yet SQLite's planner
// only uses an index on an expression written exactly like the query's, so every read, update
// and delete by `_id` is a full table scan (EXPLAIN QUERY PLAN: `SCAN`). We add, per
// collection, a second index on the query's own expression; FerretDB never reads
// sqlite_master, so it neither sees nor minds it, and DROP TABLE takes it away with the table.
//
// Collections appear at run time, so a sweeper looks for them every few seconds. It finds them
// through FerretDB (listCollections and a limited find over the wire) and opens a SQLite
// connection of its own only for the moment it builds an index: an outside connection open on
// a file while FerretDB drops that database would leave the file's WAL behind for a database
// re-created under the same name. So the index is built once per collection, and only once it
// holds `minDocs` documents (below that a scan costs a few milliseconds; databases that tests
// drop and re-create stay far below it).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	_ "modernc.org/sqlite" // the driver FerretDB itself uses (registered as "sqlite")
)

type idIndexer struct {
	dir     string // the SQLite directory FerretDB serves (one <database>.sqlite per database)
	mongo   string // FerretDB's own address, as a MongoDB URI
	minDocs int64
	every   time.Duration
	log     *slog.Logger
	done    map[string]bool // collection UUIDs (a re-created collection has a new one) already indexed
}

func (x *idIndexer) run(ctx context.Context) {
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(x.mongo).SetDirect(true).SetMaxPoolSize(1))
	if err != nil {
		x.log.Error("id index sweeper: cannot connect; _id lookups stay full scans", slog.Any("err", err))
		return
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	x.done = map[string]bool{}
	t := time.NewTicker(x.every)
	defer t.Stop()
	for {
		if err := x.sweep(ctx, client); err != nil && ctx.Err() == nil {
			x.log.Debug("id index sweep", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type collInfo struct {
	Name string `bson:"name"`
	Type string `bson:"type"`
	Info struct {
		UUID primitive.Binary `bson:"uuid"`
	} `bson:"info"`
}

// sweep indexes every collection that has reached minDocs and is not indexed yet.
func (x *idIndexer) sweep(ctx context.Context, client *mongo.Client) error {
	dbs, err := client.ListDatabaseNames(ctx, bson.D{})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, dbName := range dbs {
		cur, err := client.Database(dbName).ListCollections(ctx, bson.D{})
		if err != nil {
			return err
		}
		var colls []collInfo
		if err := cur.All(ctx, &colls); err != nil {
			return err
		}
		for _, c := range colls {
			key := fmt.Sprintf("%x", c.Info.UUID.Data)
			seen[key] = true
			if c.Type == "view" || x.done[key] {
				continue
			}
			if n, err := x.countUpTo(ctx, client.Database(dbName).Collection(c.Name)); err != nil || n < x.minDocs {
				continue // small (or dropped meanwhile)
			}
			if err := x.index(ctx, dbName, c.Name); err != nil {
				x.log.Warn("id index not built; retried at the next sweep", slog.String("db", dbName), slog.String("collection", c.Name), slog.Any("err", err))
				continue
			}
			x.done[key] = true
		}
	}
	for key := range x.done {
		if !seen[key] {
			delete(x.done, key) // dropped: forget it
		}
	}
	return nil
}

// countUpTo counts a collection's documents up to minDocs. Not collStats (FerretDB runs ANALYZE,
// a write, for it) nor count (a full read): a find with only a limit has the limit pushed down
// to SQLite, so it reads at most minDocs rows.
func (x *idIndexer) countUpTo(ctx context.Context, coll *mongo.Collection) (int64, error) {
	opts := options.Find().SetLimit(x.minDocs).SetBatchSize(int32(min(x.minDocs, 10_000))).SetProjection(bson.D{{Key: "_id", Value: 1}})
	cur, err := coll.Find(ctx, bson.D{}, opts)
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	var n int64
	for cur.Next(ctx) {
		n++
	}
	return n, cur.Err()
}

// index builds the query-shaped `_id` index of one collection, if it is not there yet.
func (x *idIndexer) index(ctx context.Context, dbName, collName string) error {
	file := filepath.Join(x.dir, dbName+".sqlite")
	if _, err := os.Stat(file); err != nil {
		return err // dropped meanwhile; mode=rw below would refuse to create it anyway
	}
	// FerretDB set the file to WAL; busy_timeout waits out its writers, as its own connections do.
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var table string
	if err := db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collName).Scan(&table); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("collection not in the file's metadata")
		}
		return err
	}
	name := "psa_id_lookup_" + table
	t0 := time.Now()
	q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, name, table)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return err
	}
	x.log.Info("id index ready", slog.String("db", dbName), slog.String("collection", collName), slog.Duration("took", time.Since(t0)))
	return nil
}

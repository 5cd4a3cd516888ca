using Q4.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

var redis = builder.AddRedis("redis");
var db = builder.AddPostgres("postgres").AddDatabase("q4db");
var storage = builder.AddS3Storage("storage");

// Fixed ports: the identity provider's issuer URL and the front end's sign-in redirect are registered in the realm.
var identity = builder.AddProject<Projects.Q4_DevIdentity>("identity")
    .WithHttpEndpoint(port: 18080)
    .WithDataDirectory("DevIdentity__DataDirectory")
    .WithHttpHealthCheck("/health");

var api = builder.AddProject<Projects.Q4_ApiService>("apiservice")
    .WithReplicas(2)
    .WithReference(redis).WaitFor(redis)
    .WithReference(db).WaitFor(db)
    .WithReference(storage).WaitFor(storage)
    .WithReference(identity).WaitFor(identity)
    .WithHttpHealthCheck("/health");

// The API applies the database migrations; the sync service starts once the schema is there.
builder.AddProject<Projects.Q4_SyncService>("syncservice")
    .WithReplicas(2)
    .WithReference(redis).WaitFor(redis)
    .WithReference(db).WaitFor(db)
    .WithReference(storage).WaitFor(storage)
    .WaitFor(api)
    .WithHttpHealthCheck("/health");

var frontend = builder.AddProject<Projects.Q4_Frontend>("frontend")
    .WithHttpEndpoint(port: 5180)
    .WithReference(redis).WaitFor(redis)
    .WithReference(api).WaitFor(api)
    .WithReference(identity).WaitFor(identity)
    .WithHttpHealthCheck("/health");

// The realm registers the front end's sign-in addresses at port 5180; the provider learns where it really listens.
identity.WithEnvironment("DevIdentity__ClientOrigins__q4-frontend", frontend.GetEndpoint());

await builder.Build().RunAsync();

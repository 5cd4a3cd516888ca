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

// Applies the database migrations and exits; the services start once it has succeeded.
var migrations = builder.AddProject<Projects.Q4_MigrationService>("migrations")
    .WithReference(db).WaitFor(db);

// The bid path allocates little per bid but takes many bids: a 64 MiB gen0 budget per heap collects a third as often
// as the default and cuts GC pauses and the tail (bench/gc.sh), for about 50 MiB more working set per replica.
var api = builder.AddProject<Projects.Q4_ApiService>("apiservice")
    .WithReplicas(2).PublishWithAutoscaling(maxReplicas: 10)
    .WithEnvironment("DOTNET_GCgen0size", "0x4000000")
    .WithReference(redis).WaitFor(redis)
    .WithReference(db).WaitForCompletion(migrations)
    .WithReference(storage).WaitFor(storage)
    .WithReference(identity).WaitFor(identity)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Q4_SyncService>("syncservice")
    .WithReplicas(2)
    .WithReference(redis).WaitFor(redis)
    .WithReference(db).WaitForCompletion(migrations)
    .WithReference(storage).WaitFor(storage)
    .WithHttpHealthCheck("/health");

var frontend = builder.AddProject<Projects.Q4_Frontend>("frontend")
    .WithHttpEndpoint(port: 5180)
    .WithExternalHttpEndpoints()
    .WithReference(redis).WaitFor(redis)
    .WithReference(api).WaitFor(api)
    .WithReference(identity).WaitFor(identity)
    .WithHttpHealthCheck("/health");

// The realm registers the front end's sign-in addresses at port 5180; the provider learns where it really listens.
identity.WithEnvironment("DevIdentity__ClientOrigins__q4-frontend", frontend.GetEndpoint());

if (builder.ExecutionContext.IsPublishMode)
{
    // A deployment runs Keycloak where this machine runs the development provider, importing the production realm
    // (no test users), whose placeholders take the front end's public address and the secret the two share.
    var clientSecret = builder.AddParameter("frontend-client-secret", secret: true);
    identity.PublishAsKeycloak("keycloak", realmImport: "deploy/keycloak")
        .WithEnvironment("Q4_FRONTEND_URL", frontend.GetEndpoint())
        .WithEnvironment("Q4_FRONTEND_CLIENT_SECRET", clientSecret);
    frontend.WithEnvironment("SignIn__ClientSecret", clientSecret);
}

await builder.Build().RunAsync();

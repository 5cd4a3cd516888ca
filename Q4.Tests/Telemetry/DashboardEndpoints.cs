namespace Q4.Tests.Telemetry;

/// <summary>Where a test graph's dashboard takes OTLP, from the AppHost's endpoints file.</summary>
internal static class DashboardEndpoints
{
    /// <summary>The dashboard's OTLP addresses (HTTP, gRPC) and the key exports must carry.</summary>
    public static (string Http, string Grpc, string Key) OtlpEndpoints(this AppHostProcess app)
    {
        var parts = app.GetConnectionString("apphost").Split(';').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return (parts["Endpoint"], parts["GrpcEndpoint"], parts["ApiKey"]);
    }
}

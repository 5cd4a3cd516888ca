namespace Q4.Hosting;

/// <summary>Services stop first, so that nothing still writes to a store while it shuts down.</summary>
internal static class StopOrders
{
    public const int Service = 0;
    public const int Store = 1;
}

namespace Q4.Hosting;

/// <summary>A failure the person running the AppHost can act on; printed as its message alone.</summary>
public sealed class AppHostException(string message) : Exception(message);

// Starts the AppHost, a Linux program (Q4.Hosting), and signals it.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

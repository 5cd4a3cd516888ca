// The tests drive the AppHost's Linux child processes and signal them.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

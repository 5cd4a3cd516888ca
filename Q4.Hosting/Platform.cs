// The AppHost runs Debian's servers as child processes and signals them: it is a Linux program.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

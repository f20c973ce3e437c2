using System.Runtime.Versioning;

// The packed plugins run in a Linux routerhost: these tests are Linux's (the fixture sets Unix file modes).
[assembly: SupportedOSPlatform("linux")]

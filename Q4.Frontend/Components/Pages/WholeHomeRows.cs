using Microsoft.AspNetCore.Components;

namespace Q4.Frontend.Components.Pages;

/// <summary>The home page's rows rendered whole before the response is sent, for a browser that may not run script.</summary>
[StreamRendering(false)]
public sealed class WholeHomeRows : HomeRows;

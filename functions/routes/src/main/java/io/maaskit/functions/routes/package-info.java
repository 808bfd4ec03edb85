/** The one route table of the functions, shared by the HTTP deployables and the CDK app. */
package io.maaskit.functions.routes;

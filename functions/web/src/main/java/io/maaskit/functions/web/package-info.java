/** HTTP glue shared by the HTTP deployables: API key check and JSON error bodies. */
package io.maaskit.functions.web;

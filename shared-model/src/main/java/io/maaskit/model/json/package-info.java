/** Field-by-field reading of JSON request bodies and messages, with messages naming the field. */
package io.maaskit.model.json;

/**
 * The local and container HTTP server: the functions over Funqy HTTP, plus the queue 'train' task.
 */
package io.maaskit.functions.http;
